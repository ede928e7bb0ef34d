package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemmStep times the tutorial recurrent layers' per-step product, h_{t-1} U with
// B = 8 rows, H = 50 (or 51, a row more of U) and 4H = 200 columns, through GemmSerial,
// as the layers call it, and Gemm. Run it with and without the openblas build tag to
// compare OpenBLAS with this package's sgemm.
func BenchmarkGemmStep(b *testing.B) {
	for _, k := range []int{50, 51} {
		m, n := 8, 200
		rng := rand.New(rand.NewPCG(1, uint64(k)))
		a, w, c := to32(randFill(rng, m*k)), to32(randFill(rng, k*n)), make([]float32, m*n)
		for _, serial := range []bool{true, false} {
			name := fmt.Sprintf("%dx%dx%d/serial=%v", m, k, n, serial)
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if serial {
						GemmSerial(false, false, m, n, k, 1, a, k, w, n, 1, c, n)
					} else {
						Gemm(false, false, m, n, k, 1, a, k, w, n, 1, c, n)
					}
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9,
					"GFLOP/s")
			})
		}
	}
}
