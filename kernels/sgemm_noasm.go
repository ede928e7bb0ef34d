//go:build !amd64

package kernels

// Without the amd64 microkernels sgemm is never chosen (fastSgemm is false).

func hasFMA() bool { return false }

func sgemm4x16(k int, a *float32, rs, ks int, b *float32, ldb int, c *float32, ldc int,
	alpha float32) {
	panic("kernels: sgemm4x16 without amd64")
}

func sgemm4x8(k int, a *float32, rs, ks int, b *float32, ldb int, c *float32, ldc int,
	alpha float32) {
	panic("kernels: sgemm4x8 without amd64")
}

func sgemm1x16(k int, a *float32, ks int, b *float32, ldb int, c *float32, alpha float32) {
	panic("kernels: sgemm1x16 without amd64")
}

func sgemm1x8(k int, a *float32, ks int, b *float32, ldb int, c *float32, alpha float32) {
	panic("kernels: sgemm1x8 without amd64")
}
