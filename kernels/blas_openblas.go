//go:build openblas

// With the openblas build tag, every matrix product of Gemm and GemmSerial runs on
// OpenBLAS, through the cgo bindings of gonum.org/v1/netlib installed as gonum's blas32
// and blas64 implementations; the package's AVX2/FMA sgemm then serves only the strided
// convolutions (Conv1DForward, Conv1DBackward), whose overlapping rows (lda < k) no BLAS
// accepts. OpenBLAS threads and blocks by itself, so Gemm hands it each product whole.
//
// Build and test it with a C compiler and OpenBLAS's development files (Debian:
// libopenblas-dev), which provide cblas.h and libopenblas (kernels/internal/openblas
// adds -lopenblas to the link):
//
//	CGO_ENABLED=1 go test -tags openblas ./...
//	go test -tags openblas -run '^$' -bench 'Gemm|Epoch' ./bench
//
// OPENBLAS_NUM_THREADS sets OpenBLAS's threads (by default one per core). The default
// build uses neither cgo nor OpenBLAS.
package kernels

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"

	_ "github.com/seqnn/seqnn/kernels/internal/openblas" // -lopenblas
)

func init() {
	blas32.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
	nativeBLAS = true
	fastSgemm = false
}
